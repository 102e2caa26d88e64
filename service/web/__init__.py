"""The moderators' web pages: server-rendered, usable without JavaScript."""
