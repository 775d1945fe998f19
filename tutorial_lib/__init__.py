"""tutorial_lib: the helper library of the open course on the adversarial robustness of clustering.

One module per chapter concept (see README.md for the chapter map):
``convex_clustering`` and ``recovery`` (chapters 02-03), ``calmness`` (01),
``deviation`` (04), ``bilevel`` and ``datasets`` (05), ``clustr`` and ``network`` (06),
``kmeans_attack`` (07); ``checks`` holds the auto-checked exercises.
"""
__version__ = "0.1.0"
