"""Why the demo cannot start or keep running."""


class DemoError(RuntimeError):
    """The demo cannot start or went down; the message says why and what to do."""
