"""Where Harbor keeps conversations and the channels' shared state (README "What we keep")."""
