"""Findings of a review (R18): highlights (亮点) and rectification items (整改事项) tracked
to closure."""
