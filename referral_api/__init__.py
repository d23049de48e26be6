"""Honest Referral: the best fit for a customer's need — ours, a partner's or a competitor's."""

__version__ = "0.1.0"

#: Bumped whenever scoring or interpretation changes, so a stored decision names its engine.
ENGINE_VERSION = "2"
