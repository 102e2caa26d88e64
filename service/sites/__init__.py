"""The site and its origins."""
