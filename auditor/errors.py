"""The one exception type a user should ever see: the CLI prints its message on one line and exits 2."""


class AuditorError(Exception):
    """Bad input or an unusable index. The message says what is wrong and what to do."""


class MissingExtraError(AuditorError):
    def __init__(self, extra: str, module: str):
        super().__init__(f"{module} is not installed: pip install 'auditor[{extra}]'")
