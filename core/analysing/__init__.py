"""Stage 4, analysing: pure functions over the stored collection: the query language (``query``), themes
and their evidence (``themes``), counts and timelines (``analytics``), terms and mentions (``terms``),
story threads (``threads``), highlighting (``highlight``) and exports (``export``)."""
