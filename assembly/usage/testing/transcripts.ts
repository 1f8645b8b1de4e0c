// Response transcripts for the usage tests, written from the providers' documented
// formats. Plain string constants, so that both the as-pect specs and the Node tests
// (tsx) import this file. Keep the JSON exact: the tests assert exact counts.

/** OpenAI chat completion, non-streaming (documented response shape, pretty-printed). */
export const OPENAI_CHAT_JSON: string =
  "{\n" +
  "  \"id\": \"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\n" +
  "  \"object\": \"chat.completion\",\n" +
  "  \"created\": 1741570283,\n" +
  "  \"model\": \"gpt-4o-2024-08-06\",\n" +
  "  \"choices\": [\n" +
  "    {\n" +
  "      \"index\": 0,\n" +
  "      \"message\": {\n" +
  "        \"role\": \"assistant\",\n" +
  "        \"content\": \"The image shows a wooden boardwalk \\u2014 \\\"a path\\\" \\\\ through a lush field.\\nCaf\\u00e9 😀 naïve\",\n" +
  "        \"refusal\": null,\n" +
  "        \"annotations\": []\n" +
  "      },\n" +
  "      \"logprobs\": null,\n" +
  "      \"finish_reason\": \"stop\"\n" +
  "    }\n" +
  "  ],\n" +
  "  \"usage\": {\n" +
  "    \"prompt_tokens\": 1117,\n" +
  "    \"completion_tokens\": 46,\n" +
  "    \"total_tokens\": 1163,\n" +
  "    \"prompt_tokens_details\": {\n" +
  "      \"cached_tokens\": 1024,\n" +
  "      \"audio_tokens\": 0\n" +
  "    },\n" +
  "    \"completion_tokens_details\": {\n" +
  "      \"reasoning_tokens\": 12,\n" +
  "      \"audio_tokens\": 0,\n" +
  "      \"accepted_prediction_tokens\": 0,\n" +
  "      \"rejected_prediction_tokens\": 0\n" +
  "    }\n" +
  "  },\n" +
  "  \"service_tier\": \"default\",\n" +
  "  \"system_fingerprint\": \"fp_fc9f1d7035\"\n" +
  "}\n";

/** OpenAI chat completion streamed with stream_options.include_usage: every chunk has "usage": null, then a final chunk with empty choices carries usage, then [DONE]. */
export const OPENAI_CHAT_SSE: string =
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"! \\\"Caf\\u00e9\\\"\\n\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" How can I help 😀?\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}\n" +
  "\n" +
  "data: [DONE]\n" +
  "\n";

/** The same stream without include_usage: no usage anywhere (text bytes only). */
export const OPENAI_CHAT_SSE_NO_USAGE: string =
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"! \\\"Caf\\u00e9\\\"\\n\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" How can I help 😀?\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n" +
  "\n" +
  "data: [DONE]\n" +
  "\n";

/** OpenAI legacy completions, non-streaming. */
export const OPENAI_COMPLETIONS_JSON: string =
  "{\"id\":\"cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7\",\"object\":\"text_completion\",\"created\":1589478378,\"model\":\"gpt-3.5-turbo-instruct\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"text\":\"\\n\\nThis is indeed a test\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}";

/** OpenAI embeddings: floats with exponents before the usage. */
export const OPENAI_EMBEDDINGS_JSON: string =
  "{\n" +
  "  \"object\": \"list\",\n" +
  "  \"data\": [\n" +
  "    {\n" +
  "      \"object\": \"embedding\",\n" +
  "      \"embedding\": [0.0023064255, -0.009327292, -9.327292e-05, 1.5E+2, -0.0028842222, 0],\n" +
  "      \"index\": 0\n" +
  "    }\n" +
  "  ],\n" +
  "  \"model\": \"text-embedding-3-small\",\n" +
  "  \"usage\": {\n" +
  "    \"prompt_tokens\": 8,\n" +
  "    \"total_tokens\": 8\n" +
  "  }\n" +
  "}";

/** OpenAI Responses API, non-streaming. */
export const OPENAI_RESPONSES_JSON: string =
  "{\n" +
  "  \"id\": \"resp_67ccd3a9da748190baa7f1570fe91ac604becb25c18aa6c2\",\n" +
  "  \"object\": \"response\",\n" +
  "  \"created_at\": 1741476777,\n" +
  "  \"status\": \"completed\",\n" +
  "  \"error\": null,\n" +
  "  \"incomplete_details\": null,\n" +
  "  \"instructions\": null,\n" +
  "  \"max_output_tokens\": null,\n" +
  "  \"model\": \"gpt-4o-2024-08-06\",\n" +
  "  \"output\": [\n" +
  "    {\n" +
  "      \"type\": \"message\",\n" +
  "      \"id\": \"msg_67ccd3acc8d48190a77525dc6de64b4104becb25c18aa6c2\",\n" +
  "      \"status\": \"completed\",\n" +
  "      \"role\": \"assistant\",\n" +
  "      \"content\": [\n" +
  "        {\n" +
  "          \"type\": \"output_text\",\n" +
  "          \"text\": \"The image depicts a scenic landscape.\",\n" +
  "          \"annotations\": []\n" +
  "        }\n" +
  "      ]\n" +
  "    }\n" +
  "  ],\n" +
  "  \"parallel_tool_calls\": true,\n" +
  "  \"previous_response_id\": null,\n" +
  "  \"reasoning\": {\"effort\": null, \"summary\": null},\n" +
  "  \"store\": true,\n" +
  "  \"temperature\": 1.0,\n" +
  "  \"text\": {\"format\": {\"type\": \"text\"}},\n" +
  "  \"tool_choice\": \"auto\",\n" +
  "  \"tools\": [],\n" +
  "  \"top_p\": 1.0,\n" +
  "  \"truncation\": \"disabled\",\n" +
  "  \"usage\": {\n" +
  "    \"input_tokens\": 328,\n" +
  "    \"input_tokens_details\": {\"cached_tokens\": 128},\n" +
  "    \"output_tokens\": 52,\n" +
  "    \"output_tokens_details\": {\"reasoning_tokens\": 16},\n" +
  "    \"total_tokens\": 380\n" +
  "  },\n" +
  "  \"user\": null,\n" +
  "  \"metadata\": {}\n" +
  "}";

/** OpenAI Responses API stream: usage only in response.completed (earlier events have "usage": null). */
export const OPENAI_RESPONSES_SSE: string =
  "event: response.created\n" +
  "data: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654\",\"object\":\"response\",\"created_at\":1741290958,\"status\":\"in_progress\",\"error\":null,\"incomplete_details\":null,\"instructions\":\"You are a helpful assistant.\",\"max_output_tokens\":null,\"model\":\"gpt-4.1-2025-04-14\",\"output\":[],\"parallel_tool_calls\":true,\"previous_response_id\":null,\"reasoning\":{\"effort\":null,\"summary\":null},\"store\":true,\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\"disabled\",\"usage\":null,\"user\":null,\"metadata\":{}}}\n" +
  "\n" +
  "event: response.in_progress\n" +
  "data: {\"type\":\"response.in_progress\",\"sequence_number\":1,\"response\":{\"id\":\"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654\",\"object\":\"response\",\"created_at\":1741290958,\"status\":\"in_progress\",\"error\":null,\"incomplete_details\":null,\"instructions\":\"You are a helpful assistant.\",\"max_output_tokens\":null,\"model\":\"gpt-4.1-2025-04-14\",\"output\":[],\"parallel_tool_calls\":true,\"previous_response_id\":null,\"reasoning\":{\"effort\":null,\"summary\":null},\"store\":true,\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\"disabled\",\"usage\":null,\"user\":null,\"metadata\":{}}}\n" +
  "\n" +
  "event: response.output_item.added\n" +
  "data: {\"type\":\"response.output_item.added\",\"sequence_number\":2,\"output_index\":0,\"item\":{\"id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}}\n" +
  "\n" +
  "event: response.content_part.added\n" +
  "data: {\"type\":\"response.content_part.added\",\"sequence_number\":3,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}}\n" +
  "\n" +
  "event: response.output_text.delta\n" +
  "data: {\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}\n" +
  "\n" +
  "event: response.output_text.delta\n" +
  "data: {\"type\":\"response.output_text.delta\",\"sequence_number\":5,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"delta\":\" there!\"}\n" +
  "\n" +
  "event: response.output_text.delta\n" +
  "data: {\"type\":\"response.output_text.delta\",\"sequence_number\":6,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"delta\":\" How can I assist you today?\"}\n" +
  "\n" +
  "event: response.output_text.done\n" +
  "data: {\"type\":\"response.output_text.done\",\"sequence_number\":7,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"text\":\"Hi there! How can I assist you today?\"}\n" +
  "\n" +
  "event: response.content_part.done\n" +
  "data: {\"type\":\"response.content_part.done\",\"sequence_number\":8,\"item_id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"Hi there! How can I assist you today?\",\"annotations\":[]}}\n" +
  "\n" +
  "event: response.output_item.done\n" +
  "data: {\"type\":\"response.output_item.done\",\"sequence_number\":9,\"output_index\":0,\"item\":{\"id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hi there! How can I assist you today?\",\"annotations\":[]}]}}\n" +
  "\n" +
  "event: response.completed\n" +
  "data: {\"type\":\"response.completed\",\"sequence_number\":10,\"response\":{\"id\":\"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654\",\"object\":\"response\",\"created_at\":1741290958,\"status\":\"completed\",\"error\":null,\"incomplete_details\":null,\"instructions\":\"You are a helpful assistant.\",\"max_output_tokens\":null,\"model\":\"gpt-4.1-2025-04-14\",\"output\":[{\"id\":\"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hi there! How can I assist you today?\",\"annotations\":[]}]}],\"parallel_tool_calls\":true,\"previous_response_id\":null,\"reasoning\":{\"effort\":null,\"summary\":null},\"store\":true,\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\"disabled\",\"usage\":{\"input_tokens\":37,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":11,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":48},\"user\":null,\"metadata\":{}}}\n" +
  "\n";

/** Anthropic Messages API, non-streaming (no total: input + output). */
export const ANTHROPIC_JSON: string =
  "{\n" +
  "  \"id\": \"msg_013Zva2CMHLNnXjNJJKqJ2EF\",\n" +
  "  \"type\": \"message\",\n" +
  "  \"role\": \"assistant\",\n" +
  "  \"model\": \"claude-sonnet-4-20250514\",\n" +
  "  \"content\": [\n" +
  "    {\n" +
  "      \"type\": \"text\",\n" +
  "      \"text\": \"Hi! My name is Claude.\"\n" +
  "    }\n" +
  "  ],\n" +
  "  \"stop_reason\": \"end_turn\",\n" +
  "  \"stop_sequence\": null,\n" +
  "  \"usage\": {\n" +
  "    \"input_tokens\": 2095,\n" +
  "    \"cache_creation_input_tokens\": 12,\n" +
  "    \"cache_read_input_tokens\": 1024,\n" +
  "    \"output_tokens\": 503,\n" +
  "    \"service_tier\": \"standard\"\n" +
  "  }\n" +
  "}";

/** Anthropic Messages stream (documented example): message_start carries input tokens, message_delta the cumulative output tokens. */
export const ANTHROPIC_SSE: string =
  "event: message_start\n" +
  "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-opus-4-20250514\", \"stop_reason\": null, \"stop_sequence\": null, \"usage\": {\"input_tokens\": 25, \"output_tokens\": 1}}}\n" +
  "\n" +
  "event: content_block_start\n" +
  "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n" +
  "\n" +
  "event: ping\n" +
  "data: {\"type\": \"ping\"}\n" +
  "\n" +
  "event: content_block_delta\n" +
  "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"Hello\"}}\n" +
  "\n" +
  "event: content_block_delta\n" +
  "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"!\"}}\n" +
  "\n" +
  "event: content_block_stop\n" +
  "data: {\"type\": \"content_block_stop\", \"index\": 0}\n" +
  "\n" +
  "event: message_delta\n" +
  "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\":null}, \"usage\": {\"output_tokens\": 15}}\n" +
  "\n" +
  "event: message_stop\n" +
  "data: {\"type\": \"message_stop\"}\n" +
  "\n";

/** Anthropic stream with prompt caching and thinking; message_delta repeats the cumulative counts (newer API versions). */
export const ANTHROPIC_SSE_CACHE: string =
  "event: message_start\n" +
  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-20250514\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":2048,\"output_tokens\":2,\"service_tier\":\"standard\"}}}\n" +
  "\n" +
  "event: content_block_start\n" +
  "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n" +
  "\n" +
  "event: content_block_delta\n" +
  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me think.\"}}\n" +
  "\n" +
  "event: content_block_delta\n" +
  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n" +
  "\n" +
  "event: content_block_stop\n" +
  "data: {\"type\":\"content_block_stop\",\"index\":0}\n" +
  "\n" +
  "event: content_block_start\n" +
  "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n" +
  "\n" +
  "event: content_block_delta\n" +
  "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"27 * 453 = 12231\"}}\n" +
  "\n" +
  "event: content_block_stop\n" +
  "data: {\"type\":\"content_block_stop\",\"index\":1}\n" +
  "\n" +
  "event: message_delta\n" +
  "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":472,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":2048,\"output_tokens\":187}}\n" +
  "\n" +
  "event: message_stop\n" +
  "data: {\"type\":\"message_stop\"}\n" +
  "\n";

/** Gemini generateContent, non-streaming (total includes thinking tokens). */
export const GEMINI_JSON: string =
  "{\n" +
  "  \"candidates\": [\n" +
  "    {\n" +
  "      \"content\": {\n" +
  "        \"parts\": [\n" +
  "          {\n" +
  "            \"text\": \"AI learns patterns from data \\u2014 like \\\"examples\\\".\"\n" +
  "          }\n" +
  "        ],\n" +
  "        \"role\": \"model\"\n" +
  "      },\n" +
  "      \"finishReason\": \"STOP\",\n" +
  "      \"index\": 0\n" +
  "    }\n" +
  "  ],\n" +
  "  \"usageMetadata\": {\n" +
  "    \"promptTokenCount\": 8,\n" +
  "    \"candidatesTokenCount\": 398,\n" +
  "    \"totalTokenCount\": 1609,\n" +
  "    \"promptTokensDetails\": [\n" +
  "      {\n" +
  "        \"modality\": \"TEXT\",\n" +
  "        \"tokenCount\": 8\n" +
  "      }\n" +
  "    ],\n" +
  "    \"thoughtsTokenCount\": 1203\n" +
  "  },\n" +
  "  \"modelVersion\": \"gemini-2.5-flash\",\n" +
  "  \"responseId\": \"7h0OaJLcGI6PmecPsMvhGQ\"\n" +
  "}";

/** Gemini streamGenerateContent?alt=sse: CRLF line ends, usageMetadata in every chunk, the last one wins. */
export const GEMINI_SSE: string =
  "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 1,\"totalTokenCount\": 10,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}]},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"abc\"}\r\n" +
  "\r\n" +
  "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" quick brown fox\\n jumps\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 12,\"totalTokenCount\": 21,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}]},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"abc\"}\r\n" +
  "\r\n" +
  "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" over the lazy dog.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 27,\"totalTokenCount\": 36,\"cachedContentTokenCount\": 4,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}],\"candidatesTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 27}]},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"abc\"}\r\n" +
  "\r\n";

/** Gemini streamGenerateContent without alt=sse: one JSON array of chunks, the last chunk's usageMetadata wins. */
export const GEMINI_JSON_ARRAY: string =
  "[{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 1,\"totalTokenCount\": 10,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}]},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"abc\"}\r\n" +
  ",\r\n" +
  "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" quick brown fox\\n jumps\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 12,\"totalTokenCount\": 21,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}]},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"abc\"}\r\n" +
  ",\r\n" +
  "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" over the lazy dog.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 27,\"totalTokenCount\": 36,\"cachedContentTokenCount\": 4,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}],\"candidatesTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 27}]},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"abc\"}]";

/** Ollama native /api/chat stream: NDJSON, counts in the final object. */
export const OLLAMA_NDJSON: string =
  "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.385406455-07:00\",\"message\":{\"role\":\"assistant\",\"content\":\"The\"},\"done\":false}\n" +
  "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.385406455-07:00\",\"message\":{\"role\":\"assistant\",\"content\":\" sky\"},\"done\":false}\n" +
  "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T19:22:45.499127Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":4883583458,\"load_duration\":1334875,\"prompt_eval_count\":26,\"prompt_eval_duration\":342546000,\"eval_count\":282,\"eval_duration\":4535599000}\n";

/** vLLM (OpenAI-compatible) with continuous usage stats: usage in every chunk, the last wins; no system_fingerprint. */
export const VLLM_SSE: string =
  "data: {\"id\":\"chatcmpl-8f3c\",\"object\":\"chat.completion.chunk\",\"created\":1717000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":13,\"completion_tokens\":1}}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-8f3c\",\"object\":\"chat.completion.chunk\",\"created\":1717000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":14,\"completion_tokens\":2}}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-8f3c\",\"object\":\"chat.completion.chunk\",\"created\":1717000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":15,\"completion_tokens\":3}}\n" +
  "\n" +
  "data: {\"id\":\"chatcmpl-8f3c\",\"object\":\"chat.completion.chunk\",\"created\":1717000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":16,\"completion_tokens\":4}}\n" +
  "\n" +
  "data: [DONE]\n" +
  "\n";
