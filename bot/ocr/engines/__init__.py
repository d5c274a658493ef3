"""The OCR engines and what turns their output into lines with honest confidences: Aspose
(`aspose`, its runtime `prerequisites`, extra models `aspose_models`/`aspose_fetch`, output
`parse`), RapidOCR (`rapid`), the second reading of a line (`crosscheck`), the dictionary
estimate (`confidence`), the rules that combine signals (`scoring`); `factory` builds one."""
