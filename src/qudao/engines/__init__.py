"""Pure computational engines: numpy/polars/scipy only, no database, web or area imports."""
