"""Exceptions shared by the library and the command line.

:class:`InputError` marks a problem with what the user gave us (a file, a row, a config key). The CLI
prints its message as one line on stderr and exits with status 2; anything else is a runtime failure
(exit 1). Messages name the file (and row) first: ``path:row: problem``.
"""


class InputError(ValueError):
    """Bad user input: a missing or malformed file, a bad option or config value."""


class InputWarning(UserWarning):
    """Input sedkit accepts but changes or ignores (the reference scorers' behaviour, or a repair).

    The CLI prints each as one line on stderr, ``sedkit <command>: warning: <message>``.
    """
