"""The project's own guided notebooks, written for Alliance. Plain, kind, no jargon.

Loaded by a data migration (0002) so every deployment starts with them; therapists write
their own on top.
"""

from __future__ import annotations

NOTEBOOKS: list[dict[str, object]] = [
    {
        "slug": "a-week-of-noticing",
        "title": "A week of noticing",
        "description": (
            "Seven short prompts, one a day. There are no right answers: the point is to "
            "notice, not to fix."
        ),
        "prompts": [
            "What did you notice about how you felt when you woke up today?",
            "When did you feel most at ease today? Where were you, and who was around?",
            "When did things feel heavier today? What was happening just before?",
            "What did you do today that was kind to yourself, even something small?",
            "Was there a thought that kept coming back today? Write it down as it came.",
            "What did your body tell you today (tiredness, tension, energy, calm)?",
            "Looking back at this week, what surprised you?",
        ],
    },
    {
        "slug": "getting-started",
        "title": "Getting started together",
        "description": (
            "For the first weeks of working with a therapist: what you hope for, and what "
            "helps you feel heard."
        ),
        "prompts": [
            "What made you decide to look for support now?",
            "If therapy goes well, what would be different in your days?",
            "Think of a time you felt really listened to. What did the other person do?",
            "Is there anything you worry about saying in a session? You can write it here first.",
            "What would you like your therapist to know about you that hasn't come up yet?",
        ],
    },
    {
        "slug": "small-steps-with-worry",
        "title": "Small steps with worry",
        "description": ("Five days of looking at worry with curiosity instead of fighting it."),
        "prompts": [
            "What did you worry about today? Write the worry in one sentence.",
            "How likely is it, honestly, that the worry comes true? What would you tell a friend?",
            "Which worries today were about things you can act on, and which were not?",
            "Try setting aside ten minutes as worry time. How did it go?",
            "What helped you let go of a worry this week, even for a while?",
        ],
    },
    {
        "slug": "before-our-next-session",
        "title": "Before our next session",
        "description": "A few questions to gather your thoughts before you meet.",
        "prompts": [
            "What has been on your mind most since the last session?",
            "Did anything from the last session stay with you, helpful or not?",
            "Is there something about how the sessions go that you would like to change?",
            "What do you most want to talk about next time?",
        ],
    },
]
