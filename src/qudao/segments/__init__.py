"""Customer segmentation runs: value tiers, RFM, CLV and churn risk per customer, stored per run (area "crm")."""
