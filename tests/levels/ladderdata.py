"""Ladder file data as the export writes it, for comparing with what a test started from."""

import copy

from levels import ladderfile


def as_exported(data):
    """`data` (a v1 or v2 ladder file, parsed) as the export writes the same ladder: in the
    current format, with a level's short name left out where it is the name."""
    data = copy.deepcopy(data)
    data["format"] = ladderfile.FORMAT
    for level in data["levels"]:
        if level.get("short_name") == level["name"]:
            del level["short_name"]
    return data
