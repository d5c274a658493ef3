"""Reading images: the contract every part agrees on (`contract`), the engines (`engines/`),
the image work around them (`images/`), where OCR runs (`backends/`), and `python -m bot ocr`
(`cli`). Imports go one way: backends → engines → images → contract."""
