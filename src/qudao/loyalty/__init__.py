"""Loyalty programmes: rules, an append-only points ledger per member, tiers and statements (area "crm")."""
