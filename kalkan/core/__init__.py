"""Small helpers shared by every app: settings from the environment, headers, errors, i18n."""
