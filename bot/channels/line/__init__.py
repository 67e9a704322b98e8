"""LINE: line-bot-sdk v3, webhook server and push (`channel`)."""
