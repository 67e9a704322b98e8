"""Running the bot: settings from the environment (`config`), the runtime that feeds the conversation
(`runtime`), the conversation in its own process (`process`) and the service that starts the channels (`app`)."""
