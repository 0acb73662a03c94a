"""An SDK client with a short timeout for long generations."""

from openai import OpenAI

client = OpenAI(timeout=60.0, max_retries=2)  # expect: LL201, LL302, LL402
