#include "app.hpp"

int main(int argc, char** argv) { return mlsub::cli::run(argc, argv); }
