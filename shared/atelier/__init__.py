"""Atelier: customized jewelry orders. The domain package shipped as the functions' layer."""
