"""The explorer page: static HTML, CSS and JavaScript modules served at /explorer."""
