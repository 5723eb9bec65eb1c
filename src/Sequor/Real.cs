// The engine is written once over `Real`. The shipped library is float32, like Keras; the
// Sequor.Double build compiles the same tensor and layer sources with Real = double so that the
// gradient checks (central differences) can prove exactly the code that ships with tight tolerances.
#if SEQUOR_DOUBLE
global using Real = double;
#else
global using Real = float;
#endif
