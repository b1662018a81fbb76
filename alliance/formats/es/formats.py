"""Spanish: day before month, 24-hour clock ("lun 7 dic, 15:00")."""

# "b" is the lowercase month abbreviation ("dic"): Spanish writes months in lowercase.

# Django's own names (also the defaults of `|date`, `|time` and `localize`).
TIME_FORMAT = "H:i"  # 15:00
DATE_FORMAT = "j b Y"  # 7 dic 2026
DATETIME_FORMAT = "j b Y, H:i"  # 7 dic 2026, 15:00
SHORT_DATE_FORMAT = "d/m/Y"  # 07/12/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 07/12/2026 15:00
MONTH_DAY_FORMAT = r"j \d\e F"  # 7 de diciembre
YEAR_MONTH_FORMAT = r"F \d\e Y"  # diciembre de 2026

# Alliance's names.
LONG_DATE_FORMAT = r"j \d\e F \d\e Y"  # 7 de diciembre de 2026
SHORT_MONTH_DAY_FORMAT = "j b"  # 7 dic
SHORT_YEAR_MONTH_FORMAT = "b Y"  # dic 2026
MONTH_DAY_TIME_FORMAT = "j b, H:i"  # 7 dic, 15:00
WEEKDAY_FORMAT = r"l j \d\e F"  # lunes 7 de diciembre
SHORT_WEEKDAY_DATE_FORMAT = "D j b Y"  # lun 7 dic 2026
APPOINTMENT_FORMAT = r"l j \d\e F, H:i"  # lunes 7 de diciembre, 15:00
APPOINTMENT_YEAR_FORMAT = r"l j \d\e F \d\e Y, H:i"  # lunes 7 de diciembre de 2026, 15:00
SHORT_APPOINTMENT_FORMAT = "D j b, H:i"  # lun 7 dic, 15:00
SHORT_APPOINTMENT_YEAR_FORMAT = "D j b Y, H:i"  # lun 7 dic 2026, 15:00

# With the zone, where a reader must not guess it (on-call, alerts, the audit log).
ZONED_TIME_FORMAT = "H:i T"  # 15:00 CET
ZONED_DATETIME_FORMAT = "j b Y, H:i T"  # 7 dic 2026, 15:00 CET
ZONED_MONTH_DAY_TIME_FORMAT = "j b, H:i T"  # 7 dic, 15:00 CET
ZONED_APPOINTMENT_FORMAT = r"l j \d\e F, H:i T"  # lunes 7 de diciembre, 15:00 CET
AUDIT_DATETIME_FORMAT = "j b Y, H:i:s T"  # 7 dic 2026, 15:00:05 UTC
