"""Image builds: one stream per image cache key (`image-<key>`), carrying the build and its log."""
