"""Channels: adapters between a chat service and the conversation, and nothing else.

A channel turns its service's updates into `handlers.messages.Incoming`, hands them to the runtime, and
renders `Reply` back (text split by `base.split_text`, choices as the service's buttons, images and
documents). Rules of who is answered where are the conversation's (handlers/), not a channel's.
"""
