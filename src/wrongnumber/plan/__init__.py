"""What the workflow plans, torch-free: the Snakefile imports this layer at parse time.

Run names (runspec), where a run's files live (layout), the studies and the runs each asks for
(studies and one plan module per study), and renaming finished runs after a default changes.
Nothing here imports torch, numpy or anything above it.
"""
