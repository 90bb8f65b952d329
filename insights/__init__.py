"""Organisation insights: the `/org/` view of headcount, time in level, the promotion
pipeline, level changes, evidence activity and the shape of the tree, for HR (the whole
organisation) and for managers (the people below them), with CSV exports."""
