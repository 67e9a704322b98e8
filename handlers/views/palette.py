"""The colours every view is drawn in (bot/exports' charts, the score cards' colours a channel shows): one place,
channel-free, no drawing library imported."""

INK, MUTED, GRID = "#1f2933", "#616e7c", "#d9dee3"
BAND_COLOURS = ("#1e7b3a", "#2f80c2", "#e0a10b", "#c8401e")  # best band first: green, blue, amber, red
LEVEL_COLOURS = {0: "#c8401e", 1: "#c8401e", 2: "#e8792b", 3: "#e0a10b", 4: "#5aa046", 5: "#1e7b3a"}
NOT_REPORTED = "#9aa5b1"
# a card row's tone (handlers/views/cards.py) as a colour
TONE_COLOURS = {"good": "#1e7b3a", "fair": "#b7860b", "low": "#c8401e", "none": NOT_REPORTED}


def band_colour(rank: int) -> str:
    """The colour of a band by its rank (0: the best)."""
    return BAND_COLOURS[min(max(rank, 0), len(BAND_COLOURS) - 1)]
