import httpx


def test_platform_server_answers(platform_url: str) -> None:
    response = httpx.get(platform_url + "/docs")
    assert response.status_code == 200
