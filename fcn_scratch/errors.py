"""InputError: something a user gave is wrong, a value, an option, a file, a folder, an environment variable.

It is raised where input is checked, with one line that names what is wrong and
what was expected. The command line prints that line and exits with 2; any
other exception is a bug and keeps its traceback. An InputError is a
ValueError, so code that catches ValueError catches it too.
"""


class InputError(ValueError):
    """A value, option, file or setting the user gave is wrong; the message says what was expected."""
