"""Body measures shared by intake screening and dose calculation (clinical protocol §1 and §2).

Pure Python, no Django import.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


def round_half_up(value: Decimal, quantum: Decimal) -> Decimal:
    """Round `value` to `quantum` (e.g. Decimal("0.1")), halves away from zero, as the protocol specifies."""
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """Body-mass index, kg / m², to one decimal, half up (clinical protocol §2, "Dosing weight")."""
    if weight_kg <= 0 or height_cm <= 0:
        raise ValueError("weight and height must be positive")
    height_m = height_cm / Decimal(100)
    return round_half_up(weight_kg / (height_m * height_m), ONE_DECIMAL)
