"""Views: answers that read the store and show, never store a figure.

One module a question: score (unit card, overview, coordinator view), missing, deadlines, criteria.
Each is a function `answer(store, catalogs, ctx, u) -> list[Reply]` the conversation dispatches to;
only the criteria view may write state, and only its "which KPI?" question (see views.criteria).
"""
