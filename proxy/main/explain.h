// `portcullis explain`: why an input is (or is not) flagged, the tool for tuning false positives.
//   portcullis explain [--detector NAME] INPUT     INPUT as a query-parameter value (still encoded)
//   portcullis explain [--detector NAME] --request FILE [--all]
//                                                 a raw HTTP request (LF line ends accepted):
//                                                 every input the inspection stage would see
// Exit status: 0 nothing flagged, 1 something flagged, 2 usage or file error.
#pragma once

namespace portcullis::explain {

// argv[0] is the first argument after "explain".
int run_explain(int argc, char** argv);

}  // namespace portcullis::explain
