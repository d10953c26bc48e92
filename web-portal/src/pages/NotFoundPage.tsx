export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing here. <a href="#/">Go to my desktops</a>.
      </p>
    </section>
  );
}
