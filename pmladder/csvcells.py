"""
Cells of the CSV files the app writes, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
spreadsheet programs as a formula, which can run commands or send data elsewhere when the
file is opened. `neutralise` puts an apostrophe in front of such a cell, which the
spreadsheet shows as text; `restore` takes it off again when the app reads its own file
back, so an export imported again changes nothing.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """`value` as text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def restore(text):
    """A cell as `neutralise` found it: the apostrophe it added is taken off."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
