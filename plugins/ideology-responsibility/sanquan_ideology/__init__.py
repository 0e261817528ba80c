"""Ideology-work responsibility indicator set (意识形态工作责任制), from a university party
committee's 22 measures of 2023, with scoring of the measures' quantitative targets."""
