"""Pictures generated on request: note covers and monogram avatars (SVG, no files)."""

from miniport.host.artwork.avatars import avatar_svg, colour_for
from miniport.host.artwork.covers import PALETTES, SHAPES, cover_svg

__all__ = ["PALETTES", "SHAPES", "avatar_svg", "colour_for", "cover_svg"]
