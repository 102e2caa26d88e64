"""Screening: the policy that turns a submission into a verdict with reasons, and its inputs."""
