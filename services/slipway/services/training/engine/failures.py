"""Turning an exception from scikit-learn into a ``TrainingFailed`` a user can act on.

scikit-learn raises ``ValueError`` both for a bad hyperparameter combination and for data it
cannot use, so the category is decided from the message: known data problems are ``bad_data``,
everything else raised while fitting with the spec's parameters is ``bad_spec``. Only the errors
scikit-learn raises for its input (``FITTING_ERRORS``) are turned into failures; anything else is
a fault of the service and propagates. The message is
the exception's text without a stack trace, cut to ``MAX_MESSAGE`` characters.
"""

from __future__ import annotations

from slipway.services.training.engine.outcome import FailureCategory, TrainingFailed

__all__ = ["FITTING_ERRORS", "MAX_MESSAGE", "category_of", "failure", "short_message"]

MAX_MESSAGE = 500
# numpy's LinAlgError is a ValueError; FloatingPointError and ZeroDivisionError are arithmetic.
FITTING_ERRORS = (ValueError, TypeError, ArithmeticError)

# Fragments of scikit-learn and numpy messages about the data rather than the parameters.
_DATA_PROBLEMS = (
    "could not convert",
    "input x contains",
    "input y contains",
    "input contains nan",
    "contains nan",
    "infinity",
    "negative values",
    "found array with 0 sample",
    "found array with 0 feature",
    "unknown label type",
    "the least populated class",
    "cannot be greater than the number of members",
    "needs samples of at least 2 classes",
    "has to be greater than one",
    "the number of classes has to be",
    "found unknown categories",
    "should be greater or equal to the number of classes",
    "cannot have number of splits",
    "only one class",
)
_CATEGORICAL_HINT = (
    "; categorical columns need an encoder first, for example OneHotEncoder in a ColumnTransformer"
)


def short_message(exc: BaseException) -> str:
    """The exception's text on one line, at most ``MAX_MESSAGE`` characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def category_of(exc: BaseException) -> FailureCategory:
    text = str(exc).lower()
    if isinstance(exc, ValueError | TypeError) and any(part in text for part in _DATA_PROBLEMS):
        return "bad_data"
    return "bad_spec"


def failure(exc: BaseException, doing: str) -> TrainingFailed:
    """A ``TrainingFailed`` for ``exc``, raised while ``doing`` (for example "fitting")."""
    if isinstance(exc, TrainingFailed):
        return exc
    message = short_message(exc)
    if "could not convert string to float" in message.lower():
        message += _CATEGORICAL_HINT
    prefix = f"{doing} failed: "
    return TrainingFailed(category_of(exc), short_message(ValueError(prefix + message)))
