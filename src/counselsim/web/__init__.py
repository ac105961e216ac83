"""The trainee's practice page (``counselsim practice --web``): Starlette + uvicorn, static
HTML/JS/CSS shipped as package data, the client's reply streamed as Server-Sent Events."""
