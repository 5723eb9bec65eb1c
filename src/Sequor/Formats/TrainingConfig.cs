namespace Sequor.Formats;

/// <summary>
/// The compile settings a file carried (loss, metrics, optimizer config), kept as the raw JSON it was read
/// from. Sequor's training API does not read it yet; it is kept so that training can later resume with the
/// same optimizer, and written back into files of the same family (legacy .h5 or .keras).
/// </summary>
/// <param name="Json">The JSON text: Keras 2's <c>training_config</c> or Keras 3's <c>compile_config</c>.</param>
/// <param name="Keras3">True for a Keras 3 <c>compile_config</c> (.keras), false for a legacy <c>training_config</c> (.h5).</param>
internal sealed record TrainingConfig(string Json, bool Keras3);
