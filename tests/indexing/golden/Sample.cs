using System;
using System.Collections.Generic;
using Json = System.Text.Json.JsonSerializer;

namespace Acme.App
{
    public interface IStore
    {
        string Get(string key);
    }

    public class Store : IStore
    {
        public const int Limit = 10;
        private readonly Dictionary<string, string> items = new();

        public Store() { }

        public string Get(string key) => items[key];

        public int Count { get; private set; }
    }

    public struct Point { public int X; }

    public enum Mode { Fast, Slow }

    public record User(string Name);

    public delegate void Handler(string name);
}
