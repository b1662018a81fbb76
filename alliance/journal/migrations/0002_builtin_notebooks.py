from django.db import migrations


def add_builtin_notebooks(apps, schema_editor):
    from alliance.journal.builtin_notebooks import NOTEBOOKS

    Notebook = apps.get_model("journal", "Notebook")
    NotebookPrompt = apps.get_model("journal", "NotebookPrompt")
    for spec in NOTEBOOKS:
        notebook, created = Notebook.objects.get_or_create(
            slug=spec["slug"],
            defaults={"title": spec["title"], "description": spec["description"]},
        )
        if created:
            NotebookPrompt.objects.bulk_create(
                NotebookPrompt(notebook=notebook, position=i, text=text)
                for i, text in enumerate(spec["prompts"], 1)
            )


def remove_builtin_notebooks(apps, schema_editor):
    from alliance.journal.builtin_notebooks import NOTEBOOKS

    Notebook = apps.get_model("journal", "Notebook")
    Notebook.objects.filter(
        slug__in=[spec["slug"] for spec in NOTEBOOKS], assignments__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_journal_entries_and_notebooks")]

    operations = [migrations.RunPython(add_builtin_notebooks, remove_builtin_notebooks)]
