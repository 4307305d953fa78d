"""Analyses as data (``Op``, ``Dc``, ``Tran``, ``Ac``).

They are pure description and live in :mod:`neurocircuit.circuits.analyses` (testbenches in
``circuits/`` build them without importing the execution layer); re-exported here for the
``neurocircuit.spice`` API.
"""

from ..circuits.analyses import Ac, Analysis, Dc, Op, Tran

__all__ = ["Analysis", "Op", "Dc", "Tran", "Ac"]
