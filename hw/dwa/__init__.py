"""The digital depth-wise accelerator (Garofalo et al., JETCAS 2022, Sec. IV-C) as an HWPE."""
