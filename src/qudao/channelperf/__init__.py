"""Channel conflicts (MAP, territory, cannibalisation) and channel/partner performance scorecards."""
