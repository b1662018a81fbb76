"""English: month before day, 12-hour clock ("Mon, Dec 7, 3:00 PM")."""

# Django's own names (also the defaults of `|date`, `|time` and `localize`).
TIME_FORMAT = "g:i A"  # 3:00 PM
DATE_FORMAT = "M j, Y"  # Dec 7, 2026
DATETIME_FORMAT = "M j, Y, g:i A"  # Dec 7, 2026, 3:00 PM
SHORT_DATE_FORMAT = "m/d/Y"  # 12/07/2026
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"  # 12/07/2026 3:00 PM
MONTH_DAY_FORMAT = "F j"  # December 7
YEAR_MONTH_FORMAT = "F Y"  # December 2026

# Alliance's names.
LONG_DATE_FORMAT = "F j, Y"  # December 7, 2026
SHORT_MONTH_DAY_FORMAT = "M j"  # Dec 7
SHORT_YEAR_MONTH_FORMAT = "M Y"  # Dec 2026
MONTH_DAY_TIME_FORMAT = "M j, g:i A"  # Dec 7, 3:00 PM
WEEKDAY_FORMAT = "l, F j"  # Monday, December 7
SHORT_WEEKDAY_DATE_FORMAT = "D, M j, Y"  # Mon, Dec 7, 2026
APPOINTMENT_FORMAT = "l, F j, g:i A"  # Monday, December 7, 3:00 PM
APPOINTMENT_YEAR_FORMAT = "l, F j, Y, g:i A"  # Monday, December 7, 2026, 3:00 PM
SHORT_APPOINTMENT_FORMAT = "D, M j, g:i A"  # Mon, Dec 7, 3:00 PM
SHORT_APPOINTMENT_YEAR_FORMAT = "D, M j, Y, g:i A"  # Mon, Dec 7, 2026, 3:00 PM

# With the zone, where a reader must not guess it (on-call, alerts, the audit log).
ZONED_TIME_FORMAT = "g:i A T"  # 3:00 PM EST
ZONED_DATETIME_FORMAT = "M j, Y, g:i A T"  # Dec 7, 2026, 3:00 PM EST
ZONED_MONTH_DAY_TIME_FORMAT = "M j, g:i A T"  # Dec 7, 3:00 PM EST
ZONED_APPOINTMENT_FORMAT = "l, F j, g:i A T"  # Monday, December 7, 3:00 PM EST
AUDIT_DATETIME_FORMAT = "M j, Y, g:i:s A T"  # Dec 7, 2026, 3:00:05 PM UTC
