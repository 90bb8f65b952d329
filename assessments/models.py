"""People and judgement: employees, level assignments, evidence and reviews (to come)."""
