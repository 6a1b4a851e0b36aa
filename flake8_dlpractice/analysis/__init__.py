"""The analysis layer: facts about a module computed once (see :mod:`.facts`)."""
