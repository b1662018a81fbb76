"""Date and time formats per language (Django's `FORMAT_MODULE_PATH`).

Templates and code name a format (`|date:"APPOINTMENT_FORMAT"`, `formats.date_format(value,
"TIME_FORMAT")`) and never spell one out, so a reader sees one clock everywhere: English
12-hour ("3:00 PM"), Spanish 24-hour ("15:00"). Every language defines every name: a name a
language lacks would be printed as format characters. Machine formats (ISO in `datetime=`
attributes, .ics, the API, exports) stay as they are.
"""
