namespace Sequor.Formats;

/// <summary>
/// The compile settings a file carried (loss, metrics, optimizer config) that Sequor could not apply — a loss,
/// metric or optimizer option it does not have — kept as the raw JSON it was read from and written back into
/// files of the same family (legacy .h5 or .keras), so nothing the file said is lost. A model whose settings
/// were applied is compiled instead, and its files are written from the compiled optimizer, loss and metrics.
/// </summary>
/// <param name="Json">The JSON text: Keras 2's <c>training_config</c> or Keras 3's <c>compile_config</c>.</param>
/// <param name="Keras3">True for a Keras 3 <c>compile_config</c> (.keras), false for a legacy <c>training_config</c> (.h5).</param>
internal sealed record TrainingConfig(string Json, bool Keras3);
